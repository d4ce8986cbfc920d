"""Research studies the team runs (ablations, probes, the CSP reach report, embeddings, the batch gap); tools/ keeps
what a user runs."""
