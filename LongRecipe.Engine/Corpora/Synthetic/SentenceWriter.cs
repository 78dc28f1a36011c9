namespace LongRecipe.Engine.Corpora.Synthetic;

/// <summary>
/// English-like narrative sentences from a handful of templates: subject–verb–object with modifiers,
/// joined by "and", "but" or a subordinating conjunction, opened by a connective phrase, carrying
/// numbers, dates and amounts. The filler of every long document and the body of replay documents.
/// </summary>
internal sealed class SentenceWriter(Draw draw, IReadOnlyList<string> objects)
{
    public SentenceWriter(Draw draw) : this(draw, Vocabulary.Objects) { }

    /// <summary>One sentence, capitalised, ending in a period.</summary>
    public string Next() => Capitalise(draw.Int(0, 9) switch
    {
        0 => $"{Clause()}.",
        1 => $"{Clause()}, and {Clause()}.",
        2 => $"{Clause()}, but {Clause()}.",
        3 => $"{Clause()} {draw.Pick(Vocabulary.Conjunctions)} {Clause()}.",
        4 => $"although {Clause()}, {Clause()}.",
        5 => $"{draw.Pick(Vocabulary.Connectives)}, {Clause()}.",
        6 => $"on {Values.Date(draw)}, {Values.Person(draw)} {draw.Pick(Vocabulary.Verbs)} {Counted()} for {Values.Amount(draw)}.",
        7 => $"{Values.Person(draw)}, {WithArticle(draw.Pick(Vocabulary.Occupations))} from {draw.Pick(Vocabulary.Cities)}, {draw.Pick(Vocabulary.Verbs)} the {Thing()} because {Clause()}.",
        _ => $"by {Values.Year(draw)}, {draw.Pick(Vocabulary.Organisations)} had {Values.Number(draw)} members and {Values.Amount(draw)} in savings.",
    });

    /// <summary>"Maria repaired the old lamp in Lisbon", or with an occupation, a count or an organisation as subject.</summary>
    private string Clause() => draw.Int(0, 4) switch
    {
        0 => $"{draw.Pick(Vocabulary.FirstNames)} {draw.Pick(Vocabulary.Verbs)} the {Thing()} in {draw.Pick(Vocabulary.Cities)}",
        1 => $"the {draw.Pick(Vocabulary.Occupations)} {draw.Pick(Vocabulary.Verbs)} {Counted()}",
        2 => $"{draw.Pick(Vocabulary.Organisations)} {draw.Pick(Vocabulary.Verbs)} the {Thing()}",
        _ => $"{Values.Person(draw)} {draw.Pick(Vocabulary.Verbs)} the {Thing()}",
    };

    private string Thing() => draw.Chance(0.5) ? $"{draw.Pick(Vocabulary.Adjectives)} {draw.Pick(objects)}" : draw.Pick(objects);

    /// <summary>"412 rusty lanterns": a number, sometimes an adjective, a plural ("compasses", "lenses").</summary>
    private string Counted() => $"{Values.Count(draw)} {Plural(Thing())}";

    private static string Plural(string noun) => noun.EndsWith('s') || noun.EndsWith("ch") || noun.EndsWith("sh") ? noun + "es" : noun + "s";

    private static string WithArticle(string noun) => ("aeiou".Contains(noun[0]) ? "an " : "a ") + noun;

    public static string Capitalise(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
