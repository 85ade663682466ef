"""The `slow` marker: runs of a minute or more (the GAN's full mode-coverage run). `make test`
and CI run them; deselect them while working with `-m "not slow"`."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a run of a minute or more (deselect with "
                                       "-m 'not slow'); CI runs it")
