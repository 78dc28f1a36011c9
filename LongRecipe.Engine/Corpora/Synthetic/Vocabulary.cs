namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// The built-in word lists the synthetic corpus is made of: written here, no external data, so the
/// product works with no downloads. Objects take a regular plural (+s, or +es after s, ch, sh) so templates can count them.
/// </summary>
internal static class Vocabulary
{
    public static readonly string[] FirstNames =
    [
        "Maria", "Jonas", "Amelia", "Tobias", "Clara", "Rafael", "Ingrid", "Samuel", "Lucia", "Henrik",
        "Nadia", "Oliver", "Priya", "Mateo", "Greta", "Victor", "Elena", "Arthur", "Sofia", "Daniel",
        "Yara", "Felix", "Hannah", "Omar", "Leonie", "Pablo", "Mirela", "Thomas", "Aisha", "Julian",
        "Nora", "Emil", "Ruth", "Kenji", "Alma", "Bruno", "Iris", "Conrad", "Vera", "Malik",
    ];

    public static readonly string[] Surnames =
    [
        "Keller", "Okafor", "Lindqvist", "Moreau", "Petrov", "Alvarez", "Nakamura", "Brennan", "Costa", "Hartmann",
        "Novak", "Fischer", "Adeyemi", "Larsen", "Romano", "Walsh", "Ivanova", "Sato", "Duarte", "Whitfield",
        "Kowalski", "Haddad", "Bauer", "Quinn", "Castillo", "Holm", "Mensah", "Varga", "Dubois", "Ferreira",
    ];

    public static readonly string[] Cities =
    [
        "Lisbon", "Oslo", "Porto", "Krakow", "Valencia", "Tallinn", "Bergen", "Lyon", "Utrecht", "Graz",
        "Bologna", "Ghent", "Aarhus", "Seville", "Leipzig", "Tampere", "Cork", "Brno", "Nantes", "Turin",
        "Riga", "Malmo", "Basel", "Split", "Galway", "Bilbao", "Vilnius", "Trieste", "Dundee", "Salzburg",
    ];

    public static readonly string[] Organisations =
    [
        "the Northwind Trading Company", "the Blue River Cooperative", "the city council", "the harbour authority",
        "the Eastside Rowing Club", "the regional railway", "the Meridian Bank", "the Old Mill Bakery",
        "the Society of Surveyors", "the Crescent Printing House", "the Valley Water Board", "the Pine Hill School",
    ];

    /// <summary>With <see cref="InstitutionKinds"/> these name the entities facts are about ("the Harbor Archive").</summary>
    public static readonly string[] PlaceWords =
    [
        "Harbor", "Northgate", "Willow", "Granite", "Cedar", "Lantern", "Riverside", "Amber", "Falcon", "Meadow",
        "Ironwood", "Silver", "Juniper", "Copper", "Oakridge", "Bluewater", "Highfield", "Marigold", "Stonebridge", "Elm",
    ];

    public static readonly string[] InstitutionKinds =
    [
        "Archive", "Library", "Observatory", "Museum", "Foundry", "Clinic", "Theatre", "Shipyard",
        "Institute", "Gallery", "Workshop", "Depot", "Academy", "Guild", "Conservatory",
    ];

    public static readonly string[] Occupations =
    [
        "carpenter", "nurse", "surveyor", "baker", "engineer", "librarian", "fisherman", "teacher", "pharmacist",
        "clockmaker", "translator", "gardener", "accountant", "pilot", "archivist", "mechanic", "weaver", "chemist",
    ];

    public static readonly string[] Objects =
    [
        "lamp", "ledger", "bicycle", "kettle", "map", "crate", "violin", "compass", "lantern", "blanket",
        "drawer", "notebook", "barrel", "telescope", "basket", "bucket", "candle", "envelope", "hammer", "ladder",
        "parcel", "rope", "saddle", "teapot", "umbrella", "wagon", "window", "clock", "jacket", "carpet",
    ];

    /// <summary>Past tense, transitive: "{name} {verb} the {object}".</summary>
    public static readonly string[] Verbs =
    [
        "repaired", "sold", "painted", "carried", "inspected", "ordered", "described", "borrowed", "delivered",
        "measured", "cleaned", "bought", "wrapped", "counted", "found", "lost", "moved", "checked", "polished",
        "returned", "weighed", "packed", "labelled", "photographed",
    ];

    public static readonly string[] Adjectives =
    [
        "old", "heavy", "narrow", "bright", "quiet", "broken", "wooden", "green", "small", "enormous",
        "rusty", "careful", "famous", "ordinary", "yellow", "fragile", "dusty", "elegant", "plain", "curious",
    ];

    /// <summary>Sentence openers that tie one event to the last; "{phrase}, {clause}."</summary>
    public static readonly string[] Connectives =
    [
        "In the meantime", "A week later", "As it turned out", "For that reason", "Even so", "After a while",
        "On the other hand", "By the end of the month", "Meanwhile", "In any case", "Not long after", "As a result",
    ];

    /// <summary>Subordinating conjunctions for "{clause} {conjunction} {clause}" (the paper finds conjunctions impactful).</summary>
    public static readonly string[] Conjunctions = ["because", "although", "while", "when", "after", "before", "since", "until"];

    public static readonly string[] Months =
    [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ];

    /// <summary>Replay documents pick one topic and draw their objects from it, so documents differ in vocabulary.</summary>
    public static readonly (string Name, string[] Objects)[] Topics =
    [
        ("gardening", ["seed", "shovel", "hedge", "greenhouse", "tulip", "rake", "pot", "fence"]),
        ("sailing", ["sail", "anchor", "mast", "buoy", "harbour", "oar", "chart", "cabin"]),
        ("cooking", ["pan", "recipe", "onion", "oven", "spoon", "loaf", "sauce", "plate"]),
        ("music", ["piano", "score", "drum", "concert", "string", "record", "flute", "song"]),
        ("railways", ["train", "platform", "ticket", "signal", "carriage", "timetable", "track", "station"]),
        ("astronomy", ["star", "planet", "lens", "comet", "mirror", "orbit", "eclipse", "satellite"]),
        ("trade", ["invoice", "contract", "warehouse", "shipment", "price", "market", "receipt", "coin"]),
        ("medicine", ["bandage", "syringe", "tablet", "patient", "ward", "diagnosis", "vaccine", "stethoscope"]),
        ("football", ["ball", "goal", "match", "referee", "stadium", "whistle", "boot", "trophy"]),
        ("weather", ["cloud", "storm", "thermometer", "forecast", "breeze", "flood", "drought", "rainbow"]),
    ];
}
