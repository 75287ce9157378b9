int LLVMFuzzerTestOneInput(const char *d, unsigned long n)
{ return 0; }
