"""Running the checks: the database work queue, the sweep and the backends that check."""
