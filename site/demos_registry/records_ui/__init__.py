"""Record pages of DEMOS models: landing-page template and side bar."""
