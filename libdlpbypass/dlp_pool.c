/* dlp_pool.c - to be written */
#include "dlp_private.h"
