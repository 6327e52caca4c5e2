"""`mentormail check`: the configuration proved against its servers, one check a row."""
