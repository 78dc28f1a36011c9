using LongRecipe.Engine.Corpora.Synthetic;

namespace LongRecipe.Engine.Tests.Corpora.Synthetic;

public class NeedleTests
{
    private static int CountWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    [Theory]
    [InlineData(0.0, NeedleKind.MagicNumber)]
    [InlineData(25.0, NeedleKind.SecretCode)]
    [InlineData(50.0, NeedleKind.SpecialDate)]
    [InlineData(90.0, NeedleKind.MagicNumber)]
    [InlineData(100.0, NeedleKind.SecretCode)]
    public void The_needle_appears_once_at_the_requested_depth_and_holds_the_answer(double depth, NeedleKind kind)
    {
        var sample = NeedleSample.Generate(new NeedleSpec(4000, depth, kind, Seed: 5), CountWords);
        Assert.Equal(4000, sample.Length);
        Assert.Equal(4000, CountWords(sample.Context));
        Assert.Equal(1, Occurrences(sample.Context, sample.Needle.Text));
        Assert.Equal(1, Occurrences(sample.Context, sample.Answer));
        Assert.Contains(sample.Answer, sample.Needle.Text);
        LongDocumentTests.AssertPlaced(sample.Context, sample.Needle, sample.Answer);

        var room = 4000 - CountWords(sample.Needle.Text);
        Assert.InRange(sample.Needle.Offset, depth / 100 * room - 1, depth / 100 * room + 1);
        var city = sample.Question.Split(' ')[^1].TrimEnd('?');
        Assert.Equal(1, Occurrences(sample.Context, city));
        Assert.StartsWith("What is the ", sample.Question);
        Assert.Contains(sample.Question[12..^1], sample.Needle.Text);
    }

    [Fact]
    public void The_magic_number_needle_reads_like_the_classic_one()
    {
        var sample = NeedleSample.Generate(new NeedleSpec(500, 50, Seed: 1));
        Assert.Matches(@"^The special magic number for [A-Z][a-z]+ is \d{4}\.$", sample.Needle.Text);
        Assert.Matches(@"^What is the special magic number for [A-Z][a-z]+\?$", sample.Question);
        Assert.Matches(@"^\d{4}$", sample.Answer);
    }

    [Fact]
    public void The_same_seed_gives_the_same_sample_and_another_seed_a_different_one()
    {
        var spec = new NeedleSpec(1000, 40, Seed: 3);
        Assert.Equal(NeedleSample.Generate(spec), NeedleSample.Generate(spec));
        Assert.NotEqual(NeedleSample.Generate(spec).Context, NeedleSample.Generate(spec with { Seed = 4 }).Context);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(33.0)]
    [InlineData(100.0)]
    public void Passkey_digits_appear_exactly_where_stated_and_only_there(double depth)
    {
        var sample = PasskeySample.Generate(new PasskeySpec(3000, depth, Seed: 9));
        Assert.Equal(3000, CountWords(sample.Context));
        Assert.Matches(@"^[1-9]\d{4}$", sample.Answer);
        Assert.Equal($"The pass key is {sample.Answer}. Remember it. {sample.Answer} is the pass key.", sample.Needle.Text);
        LongDocumentTests.AssertPlaced(sample.Context, sample.Needle, sample.Answer);

        var digitPositions = Enumerable.Range(0, sample.Context.Length).Where(i => char.IsAsciiDigit(sample.Context[i])).ToArray();
        var second = sample.Needle.CharOffset + sample.Needle.Text.LastIndexOf(sample.Answer, StringComparison.Ordinal);
        var expected = Enumerable.Range(sample.Needle.ValueCharOffset, 5).Concat(Enumerable.Range(second, 5));
        Assert.Equal(expected, digitPositions);

        var room = 3000 - CountWords(sample.Needle.Text);
        Assert.InRange(sample.Needle.Offset, depth / 100 * room - 1, depth / 100 * room + 1);
        Assert.Equal("What is the pass key? The pass key is", sample.Question);
        Assert.StartsWith("The grass is green. The sky is blue.", depth == 0 ? sample.Context[(sample.Needle.Text.Length + 1)..] : sample.Context);
    }

    [Fact]
    public void Bad_needle_and_passkey_specs_are_rejected_naming_the_field()
    {
        Assert.Equal("ContextLength", Assert.Throws<ArgumentException>(() => NeedleSample.Generate(new NeedleSpec(0, 50))).ParamName);
        Assert.Equal("ContextLength", Assert.Throws<ArgumentException>(() => NeedleSample.Generate(new NeedleSpec(3, 50))).ParamName);
        Assert.Equal("DepthPercent", Assert.Throws<ArgumentException>(() => NeedleSample.Generate(new NeedleSpec(100, 100.5))).ParamName);
        Assert.Equal("DepthPercent", Assert.Throws<ArgumentException>(() => NeedleSample.Generate(new NeedleSpec(100, double.NaN))).ParamName);
        Assert.Equal("Kind", Assert.Throws<ArgumentException>(() => NeedleSample.Generate(new NeedleSpec(100, 5, (NeedleKind)9))).ParamName);
        Assert.Equal("ContextLength", Assert.Throws<ArgumentException>(() => PasskeySample.Generate(new PasskeySpec(-5, 50))).ParamName);
        Assert.Equal("DepthPercent", Assert.Throws<ArgumentException>(() => PasskeySample.Generate(new PasskeySpec(100, -1))).ParamName);
        Assert.Equal("Digits", Assert.Throws<ArgumentException>(() => PasskeySample.Generate(new PasskeySpec(100, 50, Digits: 0))).ParamName);
    }
}
