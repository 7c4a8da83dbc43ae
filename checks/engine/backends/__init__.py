"""Where checks run: this process's thread pool, or Celery's workers."""
