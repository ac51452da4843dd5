// stderrAuditSink: the shared stdio suite, on stderr.

import { stdioSuite } from "./_stdio_suite.ts";

stdioSuite("stderr");
