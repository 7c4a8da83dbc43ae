"""A local stand-in for a MediaWiki site, for tests, benchmarks and demos (standard library only;
the product never imports it). fakewiki/README.md says what it answers."""
