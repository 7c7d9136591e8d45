"""The CLI tests' failure log: a check records a failed property and goes on, so one run reports
every failure; each test script exits non-zero when FAILURES is not empty."""

FAILURES = []


def check(condition, what):
    """Records `what` as failed unless `condition` holds; returns `condition`."""
    if not condition:
        FAILURES.append(what)
        print("FAIL:", what)
    return condition
