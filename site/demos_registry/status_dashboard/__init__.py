"""The administrators' status dashboard: submissions, validations, queues, workers, DOIs, API errors."""
