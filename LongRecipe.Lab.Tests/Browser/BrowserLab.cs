namespace LongRecipe.Lab.Tests.Browser;

/// <summary>The Lab with a tiny model in its data directory's models/ folder, for the browser test.</summary>
public sealed class BrowserLab : LabProcess
{
    public const string ModelName = "tiny";

    protected override void Prepare(string dataDirectory) =>
        TinyModel.Write(Path.Combine(dataDirectory, "models", ModelName));
}
