namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// A fact a document states once and refers to later: "The access code of the Harbor Archive is
/// KX-4471." Its key ("access code of the Harbor Archive") is unique within a document, so the value
/// after a reference is predictable only from the statement, however far back it is.
/// </summary>
internal sealed record Fact(string Attribute, string Entity, string Value)
{
    private static readonly (string Attribute, Func<Draw, string> Value)[] Attributes =
    [
        ("access code", Values.Code),
        ("founding date", Values.Date),
        ("director", Values.Person),
        ("annual budget", Values.Amount),
        ("room number", draw => draw.Int(100, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("registration number", Values.Identifier),
    ];

    /// <summary>How many distinct keys there are: the most facts one document can hold.</summary>
    public static int DistinctKeys => Attributes.Length * Vocabulary.PlaceWords.Length * Vocabulary.InstitutionKinds.Length;

    public string Key => $"{Attribute} of {Entity}";

    public string Statement => $"The {Key} is {Value}.";

    public string Question => $"What is the {Key}?";

    /// <summary>A fact about "the {place} {institution}" with a fresh value.</summary>
    public static Fact New(Draw draw)
    {
        var (attribute, value) = draw.Pick(Attributes);
        return new Fact(attribute, $"the {draw.Pick(Vocabulary.PlaceWords)} {draw.Pick(Vocabulary.InstitutionKinds)}", value(draw));
    }

    /// <summary><paramref name="count"/> facts with pairwise distinct keys.</summary>
    public static List<Fact> DrawDistinct(Draw draw, int count)
    {
        var facts = new List<Fact>(count);
        var keys = new HashSet<string>();
        while (facts.Count < count)
        {
            var fact = New(draw);
            if (keys.Add(fact.Key)) facts.Add(fact);
        }
        return facts;
    }

    /// <summary>A later sentence that repeats the value, in one of a few phrasings.</summary>
    public string Reference(Draw draw) => draw.Int(0, 4) switch
    {
        0 => $"Much later, {Values.Person(draw)} went back to {Entity}, whose {Attribute} is {Value}.",
        1 => $"{Values.Person(draw)} still remembered that the {Key} was {Value}.",
        2 => $"When asked for the {Key}, {Values.Person(draw)} answered {Value} without hesitation.",
        _ => $"Everyone in {draw.Pick(Vocabulary.Cities)} knew that the {Key} was {Value}.",
    };
}
