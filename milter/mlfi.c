/* to be written */
#include "mlfi.h"
