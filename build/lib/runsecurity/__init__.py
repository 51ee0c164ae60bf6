"""The security of the test run itself: secrets at rest (`scan`), the suite's own code
(`audit`), redaction of what pytest prints (`hygiene`), egress and data-flow watchers
(`watch`) and private, scanned artifacts (`artifacts`). Builds on `harness`; `harness`
never imports it."""
