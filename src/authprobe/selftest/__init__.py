"""The mutation self-test (`authprobe mutants`): the suite against each seeded defect of the
sandbox. With `sandbox/`, the only place that knows defect names."""
