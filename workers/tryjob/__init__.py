"""`bootlab try` without its command line: what a checkout sends (`source`), the
job that carries it (`patch`), the submission to the master's try scheduler (`client`),
following the try's builds over the REST API (`watch`). The command is
workers/bootlab/trypatch.py."""
