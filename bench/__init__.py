"""mentormail's benchmarks: `python -m bench [--quick] [--json PATH]`.

Every figure is measured against real servers on loopback, beside the raw speed of the same
machine in the same run: these machines are shared and noisy, so ratios hold where seconds
do not. See BENCHMARKS.md for the full run and what the profiles showed.
"""
