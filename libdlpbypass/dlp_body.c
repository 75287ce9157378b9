/* dlp_body.c - to be written */
#include "dlp_private.h"
