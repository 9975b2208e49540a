"""The seeded chaos soak over the lab across hosts (`make chaos`, bench/chaos.py).

- schedule.py: the fault schedule a seed makes (pure: the same seed, the same schedule)
- checker.py: what went in against what came out, and the recovery table (pure)
- nemesis.py: injects one fault of the schedule into a running lab and heals it
- observe.py: what the checker reads back from the lab (REST answers, processes, boards)
"""
