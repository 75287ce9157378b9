/* dlp_io.c - to be written */
#include "dlp_private.h"
