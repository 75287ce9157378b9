/* dlp_config.c - to be written */
#include "dlp_private.h"
