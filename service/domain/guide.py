"""The guide's checklists and questions that mentormail puts into its emails, in our words."""

from __future__ import annotations

FIRST_MEETING_CHECKLIST = (
    "Clarify your values: what motivates you?",
    "Note the knowledge and skill gaps your mentor could help with.",
    "Define your goals, and a timeline to reach them.",
    "If you hope to do research together: what interests you, what question do you have, "
    "and what have you already done?",
    "If this is a career mentor: which part of their career interests you, and why?",
    "Refresh your CV and send it to your mentor before the meeting.",
    "Turn all of this into an agenda: that is what this email asks you for.",
)

FIRST_MEETING_TALKING_POINTS = (
    "What led you to your specialty or research focus?",
    "How did you build your network when you were at my stage?",
    "What advice do you have on starting a research project?",
    "Are there ongoing projects I could take part in?",
    "How often should we meet, and in what setting?",
    "What do you expect regarding publications and authorship?",
)

AFTER_FIRST_MEETING = (
    "Am I invested in working with this mentor to advance my career?",
    "Are we communicating openly and honestly?",
    "Do we understand and agree on our roles in the relationship?",
    "Can I commit enough time to meet my mentor's expectations?",
    "Do I trust my mentor?",
)

AFTER_EACH_MEETING = (
    "Am I still learning and growing?",
    "Am I still committed to, and moving towards, my goals?",
    "Is this relationship continuing to be productive?",
    "Do I trust my mentor and believe they have my best interests in mind?",
)

MENTOR_CHECKIN = (
    "What is working well?",
    "What isn't working well?",
    "Is your mentee moving appropriately towards their goals?",
    "Is there anything you, as the mentor, could do differently to help them get there?",
)
