"""The paper's 4-row ablation (its Table of CSP and SPD): CSP in pre-training x SPD in fine-tuning. One definition,
read by ablate.py (demo data) and rooms.py (real rooms)."""

ROWS = (  # (row, CSP in pre-training, SPD in fine-tuning)
    ("baseline", False, False),
    ("+CSP", True, False),
    ("+SPD", False, True),
    ("full", True, True),
)


def run_name(csp: bool, spd: bool) -> str:
    """The fine-tuning run of a row: csp-spd, csp-plain, nocsp-spd, nocsp-plain."""
    return f"{'csp' if csp else 'nocsp'}-{'spd' if spd else 'plain'}"
