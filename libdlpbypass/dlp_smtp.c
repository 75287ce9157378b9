/* dlp_smtp.c - to be written */
#include "dlp_private.h"
