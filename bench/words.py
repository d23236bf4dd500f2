"""Names the bench data sets are made of: fields of work, places, kinds of agency, services."""

AREAS = [
    ("debt-advice", "Debt advice"),
    ("housing", "Housing advice"),
    ("welfare-benefits", "Welfare benefits"),
    ("employment", "Employment rights"),
    ("immigration", "Immigration advice"),
    ("family", "Family and relationships"),
    ("mental-health", "Mental health advocacy"),
    ("disability", "Disability rights"),
]

PLACES = [
    "Kirkvale",
    "Moorside",
    "Northbridge",
    "Pennine",
    "Eastfield",
    "Ashby",
    "Holmfirth",
    "Calder",
    "Brackendale",
    "Westholme",
    "Thornley",
    "Greystone",
    "Rowan Vale",
    "Fellgate",
]

KINDS = [
    "Citizens Advice",
    "Money Advice",
    "Law Centre",
    "Housing Aid",
    "Age Well",
    "Disability Rights",
    "Welfare Rights Unit",
    "Advice Network",
    "Carers Centre",
    "Migrant Support",
    "Mind",
    "Family Advice",
]
SERVICES = [
    "Community advice hub",
    "Debt and money advice service",
    "Housing advice and homelessness prevention",
    "Welfare rights advice in GP surgeries",
    "Employment rights advice pilot",
    "Advice for carers",
    "Immigration and asylum casework",
    "Benefits appeals representation",
    "Mental health advocacy service",
    "Family court support",
    "Energy debt outreach",
    "Digital inclusion and advice",
]
