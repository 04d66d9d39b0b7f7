"""The first-start setup (:class:`ui.setup.wizard.FirstStartWizard`): the analyst's name,
the issuer identity, the agency keys, the OCR languages and region hints, and where the
workspace lives, each step checked by the core and stored through the writer."""
