"""Training and evaluation of calmline's shipped models (`calmline train`, `calmline eval`); not used at run time."""
