using LongRecipe.Engine.Model;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.Model;

/// <summary>
/// Checkpoints that load but would compute wrongly: one tensor stored in another dtype is converted to the
/// checkpoint's (one F16 among F32 used to load, then fail every forward with "expected scalar type"); a tensor
/// holding NaN is named at load. Both through the load's warnings, by file and tensor.
/// </summary>
public sealed class PretrainedLoadTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>A tiny model saved, then its weights file rewritten with <paramref name="change"/> applied to one tensor.</summary>
    private string Saved(string tensor, Func<Tensor, Tensor> change)
    {
        using var model = LlamaModel.Initialize(LlamaConfig.Tiny(), seed: 3);
        PretrainedModel.Save(model, folder.Path);
        using var scope = DisposeScope.Enter();
        var weights = model.Parameters.Names.ToDictionary(n => n, n => n == tensor ? change(model.Parameters[n]) : model.Parameters[n]);
        SafeTensorsWriter.Write(Path.Combine(folder.Path, PretrainedModel.WeightsFile), weights);
        return folder.Path;
    }

    private static readonly long[] Ids = [1, 5, 9, 14, 2, 7];

    [Fact]
    public void A_tensor_in_another_dtype_is_converted_to_the_checkpoints_and_named()
    {
        const string name = "model.layers.0.mlp.up_proj.weight";
        var directory = Saved(name, t => t.To(DType.Float16));
        var warnings = new List<string>();

        using var model = PretrainedModel.Load(directory, warn: warnings.Add);
        var file = Path.Combine(directory, PretrainedModel.WeightsFile);
        Assert.Equal([$"{file}: tensor '{name}' is f16 among f32 tensors; converted to f32"], warnings);
        Assert.All(model.Parameters.Tensors, p => Assert.Equal(DType.Float32, p.DType));
        // It computes as the model whose tensor went through f16 and back: the one an explicit f32 load gives.
        using var explicitly = PretrainedModel.Load(directory, dtype: DType.Float32);
        Assert.Equal(Scoring.LogProbs(explicitly, Ids), Scoring.LogProbs(model, Ids));
    }

    [Fact]
    public void A_tensor_holding_nan_or_infinity_is_named_with_how_many_of_its_values()
    {
        const string name = "model.norm.weight";
        var directory = Saved(name, t =>
        {
            var copy = t.Clone();
            copy.Narrow(0, 0, 2).Fill(double.NaN);
            copy.Narrow(0, 5, 1).Fill(double.PositiveInfinity);
            return copy;
        });
        var warnings = new List<string>();

        using var model = PretrainedModel.Load(directory, warn: warnings.Add);
        Assert.Equal([$"{Path.Combine(directory, PretrainedModel.WeightsFile)}: tensor '{name}' has 3 of {LlamaConfig.Tiny().HiddenSize} values not finite (NaN or ±∞); what it touches computes NaN"],
            warnings);
        Assert.All(Scoring.LogProbs(model, Ids), l => Assert.True(double.IsNaN(l)));
    }

    [Fact]
    public void A_clean_checkpoint_loads_without_a_word()
    {
        var directory = Saved("", t => t);
        var warnings = new List<string>();
        using var model = PretrainedModel.Load(directory, warn: warnings.Add);
        Assert.Empty(warnings);
    }
}
