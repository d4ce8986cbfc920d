"""Host-independent helpers (checkpoint I/O, metrics, process group, seeding); they import nothing else of ours."""
