using Bunit;
using LongRecipe.Engine.Torch;
using LongRecipe.Lab.Components.Pages.Train;
using LongRecipe.Lab.Tests.Components;

namespace LongRecipe.Lab.Tests.Pages.Train;

/// <summary>The Train page's form rendered (bunit) from a preset.</summary>
public sealed class SpecFieldsTests : MudContext
{
    private IRenderedComponent<SpecFields> Render(string preset) => Render<SpecFields>(p => p
        .Add(f => f.Form, SpecForm.FromPreset(preset, Device.Cpu))
        .Add(f => f.Preset, preset)
        .Add(f => f.Models, [new ModelChoice("builtin", "built-in")])
        .Add(f => f.Devices, ["cpu"])
        .Add(f => f.Problems, []));

    [Fact]
    public void The_preset_and_the_schemes_show_by_their_one_name_from_the_first_render()
    {
        var pose = Render("pose");

        Assert.Equal("PoSE", pose.Find(".preset [role=combobox]").TextContent);
        Assert.Contains("PoSE", pose.Find(".stage-extend").TextContent);
        Assert.DoesNotContain("Pose ", pose.Find(".stage-extend").TextContent);
        Assert.Equal("FLT (full-length training)", Render("flt").Find(".preset [role=combobox]").TextContent);
    }

    [Fact]
    public void A_search_stage_is_described_and_a_training_free_preset_says_so()
    {
        var search = Render("longrope-progressive");
        Assert.Equal(["search-1: LongRoPE search", "search-2: LongRoPE search"], search.FindAll(".stage-search h3").Select(h => h.TextContent));

        Assert.Contains("A training-free baseline", Render("yarn").Markup);
        Assert.DoesNotContain("A training-free baseline", Render("longrope").Markup);
    }

    [Fact]
    public void Each_training_stage_shows_its_optimizer_state_checkpointing_and_cuda_graph()
    {
        var longrecipe = Render("longrecipe");

        foreach (var stage in new[] { ".stage-extend", ".stage-anneal" })
        {
            Assert.Equal("f32", longrecipe.Find($"{stage} .optimizer-state [role=combobox]").TextContent);
            Assert.Contains("Activation checkpointing", longrecipe.Find($"{stage} .activation-checkpointing").TextContent);
            Assert.Contains("Record steps as a CUDA graph", longrecipe.Find($"{stage} .cuda-graph").TextContent);
        }
        Assert.Empty(Render("yarn").FindAll(".optimizer-state"));
    }
}
