"""The market's pure rules: the job state machine, location coarsening, the ledger's checks."""
