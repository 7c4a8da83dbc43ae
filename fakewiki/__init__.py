"""A local stand-in for a MediaWiki site, for tests, benchmarks and demos; the product never
imports it."""
