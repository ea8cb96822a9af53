"""Writes rowing_minutes.docx and compressor_note.pdf of this held-out set (run from the repository root:
`python eval/documents-heldout/make_files.py`). Their text is here, so a change to it shows in a diff."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))

from document_files import write_docx, write_pdf  # noqa: E402

MINUTES = [
    ("Title", "Riverside Rowing Club: committee meeting, 19 November 2026"),
    ("Heading1", "Present and apologies"),
    (
        "",
        "Present: Marta Silva (chair), David Okonkwo (treasurer), Lena Fischer (captain), Paul Brennan (secretary) "
        "and Ruth Adeyemi (safety officer). Apologies were received from Tom Hale. The meeting opened at 19:30 in "
        "the clubhouse.",
    ),
    ("Heading1", "Item 1: Minutes of the previous meeting held on 15 October 2026 and matters arising from them"),
    (
        "",
        "The minutes were accepted as a true record. The broken launch engine mentioned last month has still not "
        "been repaired. The insurer has asked for the engine's service record before it will pay.",
    ),
    ("Heading1", "Item 2: Treasurer's report on the accounts for the first quarter of the season"),
    (
        "",
        "Membership income is 14,250 pounds against a budget of 16,000 pounds. 41 members have not yet paid their "
        "annual fee. David Okonkwo will send a final reminder on 1 December; members who have not paid will lose "
        "their boat booking rights from 1 January.",
    ),
    ("Heading1", "Item 3: Boathouse and equipment, including the condition of the pontoon"),
    (
        "",
        "The pontoon is unsafe at its downstream end, where two of the floats have split. Juniors must not use it "
        "until it is repaired. Three quotes were received; the lowest, from Tideway Marine, is 6,800 pounds. The "
        "committee approved the Tideway Marine quote, with work to start in the week of 11 January.",
    ),
    ("Heading1", "Item 4: Safety, coaching and the winter training programme for junior members"),
    (
        "",
        "Ruth Adeyemi reported that the river was above the red flag level on nine days in October. No outings "
        "took place on those days. Lena Fischer proposed moving junior training from Saturday afternoon to Sunday "
        "morning; the proposal was agreed.",
    ),
    ("Heading1", "Item 5: Any other business"),
    (
        "",
        "The club will host the Head of the River regatta on 14 March 2027. Volunteers are needed to marshal the "
        "course. The next committee meeting is on 21 January 2027.",
    ),
]

NOTE = [
    [
        "Technical note TN-14: compressor failures in cold room 2, Oakridge distribution depot",
        "Author: Priya Raman, refrigeration engineer. Date: 23 November 2026.",
        "1. Problem",
        "Cold room 2 holds chilled food at 2 to 4 degrees Celsius. Its compressor has tripped out three times "
        "since 1 September, each time at night. On 17 November the room reached 9 degrees for about five hours, "
        "and stock worth 4,300 euros was thrown away.",
        "2. Investigation",
        "The compressor motor and its windings tested within limits. The condenser coil on the roof was heavily "
        "blocked with leaves and dust. A blocked coil raises the discharge pressure until the high-pressure "
        "switch trips. Logger data showed that each trip followed a warm afternoon.",
    ],
    [
        "3. Root cause",
        "The cause is poor heat rejection at the condenser, not a fault in the compressor. The coil has not been "
        "cleaned since the unit was installed in 2021. The maintenance contract with Frostline Services does not "
        "include coil cleaning.",
        "4. Actions",
        "The coil was cleaned on 20 November and the discharge pressure fell from 19 to 14 bar. A high-temperature "
        "alarm that phones the duty manager will be fitted by 4 December. The maintenance contract will be changed "
        "to include cleaning the coil every three months. Replacing the compressor, quoted at 7,800 euros, is not "
        "needed.",
        "5. Open points",
        "The roof access ladder is unsafe and must be repaired before the next cleaning. Cold room 1 uses the same "
        "type of condenser and should be checked.",
    ],
]


def main() -> None:
    write_docx(HERE / "rowing_minutes.docx", MINUTES)
    pages = [[line for text in page for line in textwrap.wrap(text, 88)] for page in NOTE]
    write_pdf(HERE / "compressor_note.pdf", pages)


if __name__ == "__main__":
    main()
