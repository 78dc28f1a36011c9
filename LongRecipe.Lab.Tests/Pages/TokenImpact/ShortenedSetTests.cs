using System.Text.Json;
using LongRecipe.Engine.Analysis;
using LongRecipe.Lab.Components.Pages.TokenImpact;

namespace LongRecipe.Lab.Tests.Pages.TokenImpact;

public sealed class ShortenedSetTests : IDisposable
{
    private readonly string data = Directory.CreateTempSubdirectory("lab-shortened-").FullName;

    public void Dispose() => Directory.Delete(data, recursive: true);

    // id 10 + k is word k; 99 is ".".
    private static string Decode(long[] ids) => string.Concat(ids.Select(id => id == 99 ? "." : $" w{id - 10}"));

    [Fact]
    public void With_every_other_sentence_dropped_only_the_impactful_sentences_stay_and_are_saved_as_jsonl()
    {
        long[] ids = [10, 11, 99, 12, 13, 99, 14, 99];
        // Drop probability 1: sentences without an impactful token (13) always go.
        var document = ShortenedSet.Build(ids, new HashSet<long> { 13 }, new SentenceSelectionSpec(1.0), Decode);

        Assert.Equal((3, 8), (document.KeptTokens, document.TotalTokens));
        Assert.Equal(" w2 w3.", document.Text);

        var saved = ShortenedSet.Save(document, data, "cut-1");
        Assert.Equal(Path.Combine(data, ShortenedSet.Folder, "cut-1.jsonl"), saved.SavedTo);
        var lines = File.ReadAllLines(saved.SavedTo!);
        Assert.Equal(" w2 w3.", JsonDocument.Parse(Assert.Single(lines)).RootElement.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData(".hidden")]
    [InlineData("")]
    public void File_names_that_could_leave_the_folder_or_hide_are_refused(string name)
    {
        var document = new ShortenedDocument("x", 1, 1);

        Assert.Throws<ArgumentException>(() => ShortenedSet.Save(document, data, name));
        Assert.False(Directory.Exists(Path.Combine(data, ShortenedSet.Folder)) && Directory.EnumerateFiles(Path.Combine(data, ShortenedSet.Folder)).Any());
    }
}
