pytest_plugins = ["tests.http_server"]
