"""What every backend does when work arrives, is cancelled, or the process stops."""


class Backend:
    """Runs the checks of the queue's rows. Each hook does nothing unless a backend needs it."""

    def work_submitted(self, *, batch_id) -> None:
        """A batch's rows are committed: have them checked."""

    def batch_cancelled(self, *, batch_id) -> None:
        """A batch was cancelled (its pending rows already left the queue): drop the work of
        it this process holds and has not started."""

    def work_resume(self) -> None:
        """This process serves requests: pick up work left over from before a restart."""

    def shutdown(self, *, wait: bool) -> None:
        """Stop checking in this process: unstarted work goes back to the queue, checks in
        flight are stored (waited for if `wait`)."""
