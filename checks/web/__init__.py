"""The HTML pages: views, forms, urls and middleware."""
