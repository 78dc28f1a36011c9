using System.Globalization;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Merging;
using LongRecipe.Engine.Optim;
using LongRecipe.Engine.Positions;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Torch;
using LongRecipe.Engine.Training;

namespace LongRecipe.Lab.Components.Pages.Train;

/// <summary>A recipe preset as the Train page offers it: the key of <see cref="RunPresets.ByName"/> and its label.</summary>
public sealed record PresetChoice(string Key, string Label);

/// <summary>How a training stage uses its device's memory and time: the same settings for extend and anneal.</summary>
public sealed class ExecutionFields
{
    public OptimizerState OptimizerState { get; set; }
    public bool ActivationCheckpointing { get; set; }
    public bool CudaGraph { get; set; }

    public static ExecutionFields From(TrainingStageSpec stage) => new()
    {
        OptimizerState = stage.OptimizerState, ActivationCheckpointing = stage.ActivationCheckpointing, CudaGraph = stage.CudaGraph,
    };
}

/// <summary>The extend stage's main fields; the rest (grad accumulation, weight decay, …) keep the spec's values.</summary>
public sealed class ExtendFields
{
    public PositionScheme Scheme { get; set; }
    public int SequenceLength { get; set; }
    public int Steps { get; set; }
    public int MicroBatchSize { get; set; }
    public double LearningRate { get; set; }
    public int WarmupSteps { get; set; }
    public LearningRateDecay Decay { get; set; }
    public required ExecutionFields Execution { get; init; }
}

public sealed class AnnealFields
{
    public double ReplayRatio { get; set; }
    public int Steps { get; set; }
    public double LearningRate { get; set; }
    public required ExecutionFields Execution { get; init; }
}

/// <summary>The merge's method, and alpha and density, which the spec gets only where the method reads them.</summary>
public sealed class MergeFields
{
    public MergeMethod Method { get; set; }
    public double Alpha { get; set; }
    public double Density { get; set; }

    public MergeSpec Spec => new(Method, Alpha, Density);
}

/// <summary>
/// The Train page's form over a <see cref="RunSpec"/>: the fields a researcher changes, mutable for binding, on
/// top of the spec they came from (fields the form leaves out keep that spec's values). <see cref="ToSpec"/>
/// builds the spec; <see cref="ToSpecWithProblems"/> adds what is wrong with it, each problem at its JSON path.
/// Context lengths are typed as comma-separated lists; an empty list leaves that benchmark out.
/// </summary>
public sealed class SpecForm
{
    /// <summary>Every preset with the one name its method goes by in the Lab (the scheme names match the Positions page's).</summary>
    public static readonly IReadOnlyList<PresetChoice> Presets =
    [
        new("longrecipe", "LongRecipe"), new("pose", "PoSE"), new("rpes", "RPES"), new("flt", "FLT (full-length training)"),
        new("pi", "PI (linear)"), new("ntk", "NTK-aware"), new("yarn", "YaRN"),
        new("longrope", "LongRoPE (search only)"), new("longrope-ft", "LongRoPE, then fine-tuning"), new("longrope-progressive", "LongRoPE, progressive"),
    ];

    private readonly RunSpec basis;

    private SpecForm(RunSpec spec)
    {
        basis = spec;
        Name = spec.Name;
        Model = spec.Model;
        TargetLength = spec.TargetLength;
        Device = spec.Device.ToString();
        Dtype = spec.Dtype.ShortName();
        Seed = (long)spec.Seed;
        RopeFactor = spec.RopeScaling?.Factor;
        Corpus = spec.Data.Corpus;
        RetrievalRatio = spec.Data.RetrievalRatio;
        Documents = spec.Data.Documents;
        Selection = spec.Data.Selection.Method;
        SelectRatio = spec.Data.Selection.SelectRatio;
        Extend = spec.Stages.OfType<ExtendStage>().Select(e => new ExtendFields
        {
            Scheme = e.Transform.Scheme, SequenceLength = e.SequenceLength, Steps = e.Steps, MicroBatchSize = e.MicroBatchSize,
            LearningRate = e.LearningRate, WarmupSteps = e.WarmupSteps, Decay = e.Decay, Execution = ExecutionFields.From(e),
        }).FirstOrDefault();
        Anneal = spec.Stages.OfType<AnnealStage>().Select(a => new AnnealFields
        {
            ReplayRatio = a.ReplayRatio, Steps = a.Steps, LearningRate = a.LearningRate, Execution = ExecutionFields.From(a),
        }).FirstOrDefault();
        Merge = spec.Stages.OfType<MergeStage>().Select(m => m.ToMergeSpec()).Select(m => new MergeFields { Method = m.Method, Alpha = m.Alpha, Density = m.Density }).FirstOrDefault();
        NiahLengths = List(spec.Eval.Niah?.Lengths);
        NiahDepths = List(spec.Eval.Niah?.Depths);
        NeedlesPerCell = spec.Eval.Niah?.NeedlesPerCell ?? 2;
        PasskeyLengths = List(spec.Eval.Passkey?.Lengths);
        PerplexityLengths = List(spec.Eval.Perplexity?.Lengths);
        ShortRetention = spec.Eval.ShortRetention;
        EvalCorpus = spec.Eval.Corpus;
        EvalSplit = spec.Eval.Split;
    }

    public static SpecForm From(RunSpec spec) => new(spec);

    /// <summary>The preset <paramref name="key"/> (see <see cref="Presets"/>) on <paramref name="device"/>.</summary>
    public static SpecForm FromPreset(string key, Device device) => new(RunPresets.ByName[key]() with { Device = device });

    public string Name { get; set; }
    /// <summary>"builtin" or a model directory.</summary>
    public string Model { get; set; }
    public int TargetLength { get; set; }
    /// <summary>cpu or cuda:N, as the device list offers them.</summary>
    public string Device { get; set; }
    /// <summary>f32 or bf16.</summary>
    public string Dtype { get; set; }
    public long Seed { get; set; }
    /// <summary>The RoPE rescaling's factor; null when the spec rescales nothing (or YaRN/LongRoPE derive it).</summary>
    public double? RopeFactor { get; set; }
    public bool RescalesRope => basis.RopeScaling is not null;
    /// <summary>"synthetic", "real" or a path; replay follows it when the spec replays the same corpus.</summary>
    public string Corpus { get; set; }
    /// <summary>The share of retrieval samples mixed in; null for the corpus's default.</summary>
    public double? RetrievalRatio { get; set; }
    public int Documents { get; set; }
    public SelectionMethod Selection { get; set; }
    public double SelectRatio { get; set; }
    public ExtendFields? Extend { get; }
    public AnnealFields? Anneal { get; }
    public MergeFields? Merge { get; }
    public string NiahLengths { get; set; }
    public string NiahDepths { get; set; }
    public int NeedlesPerCell { get; set; }
    public string PasskeyLengths { get; set; }
    public string PerplexityLengths { get; set; }
    public bool ShortRetention { get; set; }
    /// <summary>The text the evaluation measures on: "synthetic", "real" or a corpus folder.</summary>
    public string EvalCorpus { get; set; }
    public CorpusSplit EvalSplit { get; set; }

    /// <summary>The spec's stages as the form started from them (a search stage's settings are changed in the JSON).</summary>
    public IReadOnlyList<StageSpec> Stages => basis.Stages;

    /// <summary>Stage <paramref name="index"/>'s name in events and on the dashboard, e.g. search-1.</summary>
    public string StageName(int index) => basis.StageNames[index];

    /// <summary>Where the stage of <paramref name="kind"/> (extend, anneal, merge) sits in the spec's stage list; -1 when it has none.</summary>
    public int StageIndex(string kind) => basis.Stages.Select((s, i) => s.Kind == kind ? i : -1).FirstOrDefault(i => i >= 0, -1);

    /// <summary>The spec the form describes, not yet validated; a list that does not parse throws a <see cref="RunSpecException"/> naming it.</summary>
    public RunSpec ToSpec()
    {
        var (spec, unparsed) = Build();
        return unparsed.Count == 0 ? spec : throw new RunSpecException(null, unparsed);
    }

    /// <summary>
    /// The form's spec with the problems known of it, to be named with what the machine lacks (as
    /// <see cref="RunSpec.ParseWithProblems"/> gives a spec read from text): the fields that do not parse (the spec keeps
    /// what parses of a list, and its basis's device or dtype) and the rules' problems of the others, each at its JSON path
    /// (e.g. stages[0].sequence_length).
    /// </summary>
    public (RunSpec Spec, IReadOnlyList<SpecProblem> Problems) ToSpecWithProblems()
    {
        var (spec, unparsed) = Build();
        return (spec, [.. unparsed, .. spec.Problems().Where(p => !unparsed.Any(u => u.Touches(p.Path)))]);
    }

    /// <summary>The spec the form describes, with the fields that do not parse.</summary>
    private (RunSpec Spec, IReadOnlyList<SpecProblem> Unparsed) Build()
    {
        var unparsed = new List<SpecProblem>();
        var niahLengths = Parse(NiahLengths, "eval.niah.lengths", int.Parse, unparsed);
        var niahDepths = Parse(NiahDepths, "eval.niah.depths", double.Parse, unparsed);
        var passkeyLengths = Parse(PasskeyLengths, "eval.passkey.lengths", int.Parse, unparsed);
        var perplexityLengths = Parse(PerplexityLengths, "eval.perplexity.lengths", int.Parse, unparsed);
        var device = One(Device, "device", Engine.Torch.Device.Parse, unparsed, basis.Device);
        var dtype = One(Dtype, "dtype", DTypeExtensions.ParseDType, unparsed, basis.Dtype);

        return (basis with
        {
            Name = Name.Trim(),
            Model = Model,
            // The built-in model needs its window named; a model directory's config.json gives its own.
            NativeLength = Model == RunSpec.BuiltinModel ? basis.NativeLength ?? RunPresets.NativeLength : null,
            TargetLength = TargetLength,
            Device = device,
            Dtype = dtype,
            Seed = (ulong)Math.Max(0, Seed),
            RopeScaling = basis.RopeScaling is { } rope ? rope with { Factor = RopeFactor } : null,
            Data = basis.Data with
            {
                Corpus = Corpus,
                // Replay follows the corpus trained on (the real corpus's train split, or synthetic text), unless the spec named one of its own.
                Replay = basis.Data.Replay is { } replay && replay == basis.Data.Corpus ? Corpus : basis.Data.Replay,
                RetrievalRatio = RetrievalRatio,
                Documents = Documents,
                Selection = new SelectionSpec(Selection, SelectRatio),
            },
            Stages = basis.Stages.Select(Stage).ToList(),
            Eval = basis.Eval with
            {
                Niah = niahLengths.Count == 0 ? null : new NeedleEvalSpec(niahLengths, niahDepths, NeedlesPerCell),
                Passkey = passkeyLengths.Count == 0 ? null : new PasskeyEvalSpec(passkeyLengths, basis.Eval.Passkey?.Samples ?? 4),
                Perplexity = perplexityLengths.Count == 0 ? null : new PerplexityEvalSpec(perplexityLengths, basis.Eval.Perplexity?.Samples ?? 4),
                ShortRetention = ShortRetention,
                Corpus = EvalCorpus,
                Split = EvalSplit,
            },
        }, unparsed);
    }

    private StageSpec Stage(StageSpec stage) => stage switch
    {
        ExtendStage e when Extend is { } f => e with
        {
            Transform = e.Transform with { Scheme = f.Scheme },
            SequenceLength = f.SequenceLength, Steps = f.Steps, MicroBatchSize = f.MicroBatchSize, LearningRate = f.LearningRate,
            WarmupSteps = f.WarmupSteps, Decay = f.Decay, OptimizerState = f.Execution.OptimizerState,
            ActivationCheckpointing = f.Execution.ActivationCheckpointing, CudaGraph = f.Execution.CudaGraph,
        },
        AnnealStage a when Anneal is { } f => a with
        {
            ReplayRatio = f.ReplayRatio, Steps = f.Steps, LearningRate = f.LearningRate, OptimizerState = f.Execution.OptimizerState,
            ActivationCheckpointing = f.Execution.ActivationCheckpointing, CudaGraph = f.Execution.CudaGraph,
        },
        MergeStage m when Merge is { } f => m with { Method = f.Method, Alpha = f.Spec.ReadsAlpha ? f.Alpha : null, Density = f.Spec.ReadsDensity ? f.Density : null },
        _ => stage,
    };

    private static string List<T>(IReadOnlyList<T>? values) where T : IFormattable =>
        values is null ? "" : string.Join(", ", values.Select(v => v.ToString(null, CultureInfo.InvariantCulture)));

    private static T One<T>(string text, string path, Func<string, T> parse, List<SpecProblem> problems, T fallback)
    {
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            problems.Add(new SpecProblem(path, e.Message));
            return fallback;
        }
    }

    private static List<T> Parse<T>(string text, string path, Func<string, IFormatProvider, T> parse, List<SpecProblem> problems)
    {
        var values = new List<T>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                values.Add(parse(item, CultureInfo.InvariantCulture));
            }
            catch (FormatException)
            {
                problems.Add(new SpecProblem(path, $"'{item}' is not a number; list numbers separated by commas, e.g. 256, 512"));
            }
            catch (OverflowException)
            {
                problems.Add(new SpecProblem(path, $"'{item}' is out of range"));
            }
        }
        return values;
    }
}
