/* dlp_txn.c - to be written */
#include "dlp_private.h"
