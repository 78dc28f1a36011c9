using System.Globalization;
using LongRecipe.LabBench;

// The Lab driven from outside, as a client or a browser would: see DashboardBench, LoadBench and FollowRun.
const string usage = """
    usage: LongRecipe.LabBench run --url http://127.0.0.1:5080 [--spec longrecipe|FILE] [--device cuda] [--timeout-minutes 30]
           LongRecipe.LabBench dashboard --lab PATH/LongRecipe.Lab.dll [--chromium /usr/bin/chromium] [--viewers 3] [--points 10000] [--minutes 10]
                                         [--lab-cpus 0 --viewer-cpus 1] [--profile-seconds 20]
           LongRecipe.LabBench load --lab PATH/LongRecipe.Lab.dll [--kind page|hub] [--viewers 10] [--seconds 60] [--lab-cpus 0]
                                    [--viewer-cpus 1] [--chromium /usr/bin/chromium] [--seq-len 256] [--batch 2]
    """;
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
string Option(string name, string fallback)
{
    var at = Array.IndexOf(args, "--" + name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}
double Number(string name, double fallback) => double.Parse(Option(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

switch (args.FirstOrDefault())
{
    case "run":
        return await FollowRun.RunAsync(new Uri(Option("url", "http://127.0.0.1:5080")), FollowRun.Spec(Option("spec", "longrecipe"), Option("device", "cuda")),
            TimeSpan.FromMinutes(Number("timeout-minutes", 30)), cancel.Token);
    case "dashboard":
        return await DashboardBench.RunAsync(Option("lab", "LongRecipe.Lab/bin/Release/net10.0/LongRecipe.Lab.dll"), Option("chromium", "/usr/bin/chromium"),
            (int)Number("viewers", 3), (int)Number("points", 10_000), TimeSpan.FromMinutes(Number("minutes", 10)),
            args.Contains("--lab-cpus") ? Option("lab-cpus", "0") : null, args.Contains("--viewer-cpus") ? Option("viewer-cpus", "1") : null,
            TimeSpan.FromSeconds(Number("profile-seconds", 0)), cancel.Token);
    case "load":
        var kind = Option("kind", "page");
        if (kind is not ("page" or "hub")) { Console.Error.WriteLine($"--kind must be page or hub, not '{kind}'"); return 2; }
        return await LoadBench.RunAsync(Option("lab", "LongRecipe.Lab/bin/Release/net10.0/LongRecipe.Lab.dll"),
            new LoadBench.Options(kind, (int)Number("viewers", 10), (int)Number("seconds", 60), Option("lab-cpus", "0"), Option("viewer-cpus", "1"),
                Option("chromium", "/usr/bin/chromium"), (int)Number("seq-len", 256), (int)Number("batch", 2)), cancel.Token);
    default:
        Console.Error.WriteLine(usage);
        return 2;
}
