/* dlp_verdict.c - to be written */
#include "dlp_private.h"
