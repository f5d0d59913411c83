"""The parts of ``bench/sync_bench.py`` (its entry point and docstring): one idea a module.

* ``site``: the generated site's presets (10k, 100k) and the okrsync configuration written for it;
* ``sim``: the simulator child process and its driver;
* ``measure``: one run's measurements (requests, RSS, heap, Jira's state before and after);
* ``minimum``: the fewest requests a scenario needs, per dialect;
* ``okrsync_client``, ``baseline``: the two clients (the baseline's request formula in ``baseline``);
* ``report``, ``markdown``: the console tables and the markdown tables of bench/README.md.

``bench/`` is on ``sys.path`` when the entry runs (``python bench/sync_bench.py``), so these import
as ``syncbench.<module>``.
"""
