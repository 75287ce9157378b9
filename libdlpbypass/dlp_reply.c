/* dlp_reply.c - to be written */
#include "dlp_private.h"
