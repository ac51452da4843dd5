// stdoutAuditSink: the shared stdio suite, on stdout.

import { stdioSuite } from "./_stdio_suite.ts";

stdioSuite("stdout");
