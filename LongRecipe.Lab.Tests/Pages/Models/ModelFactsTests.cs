using LongRecipe.Engine.Model;
using LongRecipe.Lab.Components.Pages.Models;

namespace LongRecipe.Lab.Tests.Pages.Models;

public sealed class ModelFactsTests
{
    [Theory]
    [InlineData(999, "999")]
    [InlineData(1234, "1.23k")]
    [InlineData(35_072, "35.1k")]
    [InlineData(124_439_808, "124M")]
    [InlineData(1_235_814_400, "1.24B")]
    public void Counts_keep_three_significant_digits(long value, string text) => Assert.Equal(text, ModelFacts.Count(value));

    [Theory]
    [InlineData(512, "512 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(3L << 30, "3.00 GiB")]
    public void Bytes_use_binary_units(long bytes, string text) => Assert.Equal(text, ModelFacts.Bytes(bytes));

    [Fact]
    public void The_rope_line_and_the_shape_line_read_from_the_config()
    {
        var config = LlamaConfig.Llama1B();

        Assert.Equal("llama3, θ = 500000, s = 32 from 8192", ModelFacts.Rope(config.RopeScaling));
        Assert.Equal("16 layers × 2048, 32 heads of 64 (8 kv), MLP 8192, vocab 128256", ModelFacts.Shape(config));
        Assert.Equal("default, θ = 10000", ModelFacts.Rope(new RopeScaling()));
    }
}
