using System.Globalization;
using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using LongRecipe.Engine.Torch;
using LongRecipe.Lab.Components.Shared;

namespace LongRecipe.Lab.Components.Pages.Positions;

/// <summary>
/// The LongRoPE search form as typed: the model ("builtin" or a model directory), the target factor s, the
/// progressive factors as text ("2, 4": a search stage each, s last; empty searches at s only), population,
/// generations (long and short phase), samples, seed and device. It becomes a run (<see cref="ToSpec"/>) that the
/// Lab's queue runs like any other: the longrope preset with these search stages, then perplexity and passkeys
/// from the native window to s × it and the short-context perplexity before and after. Parents (the top-k kept
/// each generation) follow the population: a quarter of it, at least one.
/// </summary>
public sealed record SearchRunForm(
    string Model = RunSpec.BuiltinModel, double Factor = 4, string Progressive = "2, 4", int Population = 8, int Generations = 4,
    int ShortGenerations = 2, int Samples = 2, long Seed = 0, string Device = "cpu")
{
    /// <summary>The form's field a spec problem at <paramref name="path"/> belongs to (stages[k].population → population), or "" for none.</summary>
    public static string FieldOf(string path) => path switch
    {
        _ when path.EndsWith(".population", StringComparison.Ordinal) || path.EndsWith(".parents", StringComparison.Ordinal) => nameof(Population),
        _ when path.EndsWith(".short_generations", StringComparison.Ordinal) => nameof(ShortGenerations),
        _ when path.EndsWith(".generations", StringComparison.Ordinal) => nameof(Generations),
        _ when path.EndsWith(".samples", StringComparison.Ordinal) => nameof(Samples),
        _ when path.EndsWith(".factor", StringComparison.Ordinal) || path == "stages" => nameof(Progressive),
        "target_length" => nameof(Factor),
        "device" => nameof(Device),
        "seed" => nameof(Seed),
        "model" => nameof(Model),
        _ => "",
    };

    /// <summary>
    /// The run for a model whose native window is <paramref name="native"/> tokens; a field that does not parse throws a
    /// <see cref="RunSpecException"/> naming it. Not yet validated: the queue checks it (<see cref="LongRecipe.Lab.Queue.RunQueue.EnqueueAsync"/>).
    /// </summary>
    public RunSpec ToSpec(int native)
    {
        var problems = new List<SpecProblem>();
        var factors = new List<double>();
        foreach (var part in Progressive.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) factors.Add(value);
            else problems.Add(new SpecProblem("stages", $"progressive factor '{part}' is not a number; list factors such as 2, 4"));
        }
        if (factors.Count == 0 || factors[^1] != Factor) factors.Add(Factor);
        if (Seed < 0) problems.Add(new SpecProblem("seed", $"must not be negative, got {Seed}"));
        Device device = default;
        try { device = Engine.Torch.Device.Parse(Device.Trim()); }
        catch (FormatException e) { problems.Add(new SpecProblem("device", e.Message)); }
        if (!(Factor > 1) || !double.IsFinite(Factor)) problems.Add(new SpecProblem("target_length", $"the factor s must be above 1, got {Factor}"));
        if (problems.Count > 0) throw new RunSpecException(null, problems);

        var target = (int)Math.Round(Factor * native);
        var lengths = Lengths(native, target);
        var builtin = Model == RunSpec.BuiltinModel;
        return RunPresets.LongRope() with
        {
            Name = $"{(builtin ? "builtin" : Path.GetFileName(Model.TrimEnd('/')))}-longrope-{Factor.ToString("g", CultureInfo.InvariantCulture)}x",
            Model = Model,
            NativeLength = builtin ? native : null,
            TargetLength = target,
            Device = device,
            Seed = (ulong)Seed,
            // A search draws one corpus document per sample, each a little longer than the target window.
            Data = new DataSpec(Documents: Math.Max(1, Samples)),
            Stages = [.. factors.Select((f, i) => new SearchStage(
                Factor: i == factors.Count - 1 ? null : f, Population: Population, Generations: Generations, Parents: Math.Max(1, Population / 4),
                ShortGenerations: ShortGenerations, Samples: Samples))],
            Eval = new EvalSpec(
                Passkey: new PasskeyEvalSpec(lengths, Samples: 2),
                Perplexity: new PerplexityEvalSpec(lengths, Samples: 2),
                ShortRetention: true),
        };
    }

    /// <summary>The spec's problems at the form's fields, each still naming its JSON path.</summary>
    public static IReadOnlyList<FieldProblem> AtFields(IEnumerable<SpecProblem> problems) =>
        [.. problems.Select(p => new FieldProblem(FieldOf(p.Path), p.ToString()))];

    /// <summary>The native window, doubling, up to the target (which is always measured).</summary>
    private static List<int> Lengths(int native, int target)
    {
        var lengths = new List<int>();
        for (var length = native; length < target; length *= 2) lengths.Add(length);
        lengths.Add(target);
        return lengths;
    }
}

/// <summary>A search run the page lists: its record and, once it has saved one, its searched (longrope) model's config.</summary>
public sealed record SearchRun(RunRecord Run, LlamaConfig? Searched)
{
    /// <summary>Runs of the store with a search stage, newest first, each with its final model's longrope settings once it has one.</summary>
    public static IReadOnlyList<SearchRun> List(RunStore store, int most = 8) =>
        [.. store.ListRuns().Where(r => r.Spec.Stages.Any(s => s is SearchStage)).Take(most).Select(r => new SearchRun(r, SearchedRope(r)))];

    private static LlamaConfig? SearchedRope(RunRecord run)
    {
        var path = Path.Combine(run.Folder, RecipeRunner.ModelFolder, PretrainedModel.ConfigFile);
        if (run.Status != RunStatus.Completed || !File.Exists(path)) return null;
        var config = LlamaConfig.Load(path);
        return config.RopeScaling.Type == RopeType.LongRope ? config : null;
    }

    /// <summary>
    /// The RoPE form filled with the searched model's head dimension, θ, native window, factor and long factors, to draw
    /// LongRoPE on the curves; null before the run has saved a searched model.
    /// </summary>
    public RopeRequest? Draw() => Searched is not { RopeScaling: var rope } config ? null
        : new RopeRequest(config.HeadDim, rope.Theta, rope.OriginalMaxPositionEmbeddings!.Value, rope.Factor!.Value,
            string.Join(", ", rope.LongFactor!.Select(f => f.ToString("0.##", CultureInfo.InvariantCulture))));
}
