using LongRecipe.Engine.Corpora.Packages;

namespace LongRecipe.Engine.Tests.Corpora.Packages;

public class DeduplicationTests
{
    private static RealDocument Document(string id, string text) => new(id, id.Split('/')[0], id, text);

    private static string Prose(ulong seed, int words = 200) => PackageFixtures.Prose(seed, words);

    [Fact]
    public void Exact_copies_go_even_with_other_spacing_case_and_punctuation_and_the_first_stays()
    {
        var text = Prose(1);
        var documents = new[]
        {
            Document("a/1", text), Document("b/1", text.ToUpperInvariant().Replace(" ", "   ").Replace(".", "!")), Document("a/2", Prose(2)),
        };

        var (kept, report) = Deduplication.Apply(documents, TestContext.Current.CancellationToken);

        Assert.Equal(["a/1", "a/2"], kept.Select(d => d.Id));
        Assert.Equal((1, 0), (report.Exact, report.Near));
    }

    [Fact]
    public void A_near_copy_goes_and_a_document_sharing_half_its_text_stays()
    {
        var words = Prose(3, 400).Split(' ');
        var nearCopy = (string[])words.Clone();
        nearCopy[200] = "changed";                      // one word: Jaccard of 5-shingles about 0.975
        var half = words[..200].Concat(Prose(4, 200).Split(' ')).ToArray();   // about a third shared

        var (kept, report) = Deduplication.Apply([Document("a/1", string.Join(' ', words)), Document("a/2", string.Join(' ', nearCopy)),
            Document("a/3", string.Join(' ', half))], TestContext.Current.CancellationToken);

        Assert.Equal(["a/1", "a/3"], kept.Select(d => d.Id));
        Assert.Equal((0, 1), (report.Exact, report.Near));
    }

    [Fact]
    public void MinHash_estimates_the_jaccard_similarity_of_shingle_sets()
    {
        // 400 words; the second text keeps the first 300 and has 100 new ones: 296 of 396 shingles each, 296 shared,
        // so J = 296 / (396 + 396 − 296) = 0.5968. With 64 hashes the standard error is about 0.06.
        var a = Deduplication.Words(Prose(5, 400));
        var b = a.Take(300).Concat(Deduplication.Words(Prose(6, 100)).Select(w => w + "x")).ToList();

        var estimate = Deduplication.Similarity(Deduplication.Signature(a), Deduplication.Signature(b));

        Assert.InRange(estimate, 0.5968 - 0.2, 0.5968 + 0.2);
        Assert.Equal(1.0, Deduplication.Similarity(Deduplication.Signature(a), Deduplication.Signature([.. a])));
    }

    [Fact]
    public void Short_documents_go()
    {
        var (kept, report) = Deduplication.Apply([Document("a/1", Prose(7, Deduplication.MinWords - 1)), Document("a/2", Prose(8, Deduplication.MinWords))], TestContext.Current.CancellationToken);

        Assert.Equal(["a/2"], kept.Select(d => d.Id));
        Assert.Equal(1, report.Short);
    }

    [Fact]
    public void Boilerplate_at_documents_edges_goes_but_headings_and_repeated_body_text_stay()
    {
        const string licence = ".. SPDX-License-Identifier: GPL-2.0";
        const string heading = "Introduction\n============";
        const string body = "On success 0 is returned, and errno is left alone.";
        string Text(ulong seed) => $"{licence}\n\n{heading}\n\n{Prose(seed)}\n\n{body}\n\n{Prose(seed + 100)}\n\n{Prose(seed + 200)}\n\n{Prose(seed + 300)}";
        var documents = Enumerable.Range(0, Deduplication.BoilerplateDocuments).Select(i => Document($"a/{i}", Text((ulong)(10 + i)))).ToList();

        var (kept, report) = Deduplication.Apply(documents, TestContext.Current.CancellationToken);

        Assert.Equal(documents.Count, kept.Count);
        Assert.All(kept, d => Assert.StartsWith(heading + "\n\n", d.Text));
        Assert.All(kept, d => Assert.Contains(body, d.Text));
        Assert.Equal((1, documents.Count), (report.BoilerplateParagraphs, report.BoilerplateRemoved));
        // One document fewer and the line is no longer boilerplate.
        var (fewer, none) = Deduplication.Apply(documents.Skip(1).ToList(), TestContext.Current.CancellationToken);
        Assert.All(fewer, d => Assert.StartsWith(licence, d.Text));
        Assert.Equal(0, none.BoilerplateRemoved);
    }
}
