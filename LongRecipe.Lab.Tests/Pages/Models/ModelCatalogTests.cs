using LongRecipe.Engine.Events;
using LongRecipe.Engine.Model;
using LongRecipe.Engine.Recipes;
using LongRecipe.Engine.Runs;
using Microsoft.Data.Sqlite;
using LongRecipe.Lab.Components.Pages.Models;
using LongRecipe.Lab.Security;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LongRecipe.Lab.Tests.Pages.Models;

public sealed class ModelCatalogTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("lab-catalog-").FullName;
    private readonly RunStore store;

    public ModelCatalogTests() => store = RunStore.Open(Path.Combine(root, "runs.db"));

    public void Dispose()
    {
        store.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
    }

    /// <summary>A catalog that imports from the data directory, models/ and elsewhere/.</summary>
    private ModelCatalog Catalog() =>
        new(Options.Create(new LabOptions { DataDirectory = "data" }), new Environment { ContentRootPath = root }, store,
            Options.Create(new LabSecurityOptions { ModelImportFolders = ["models", "elsewhere"] }));

    /// <summary>A tiny model directory; its tokenizer.json only needs to exist for the catalog.</summary>
    private string WriteModel(string directory, bool tokenizer = true)
    {
        using (var model = LlamaModel.Initialize(LlamaConfig.Tiny(), seed: 1)) PretrainedModel.Save(model, directory);
        if (tokenizer) File.WriteAllText(Path.Combine(directory, ModelCatalog.TokenizerFile), "{}");
        return directory;
    }

    [Fact]
    public void Lists_repository_and_data_models_with_their_config_size_and_files()
    {
        WriteModel(Path.Combine(root, "models", "builtin"));
        WriteModel(Path.Combine(root, "data", "models", "extended"), tokenizer: false);
        Directory.CreateDirectory(Path.Combine(root, "data", "models", "empty"));

        var models = Catalog().List();

        Assert.Equal(["builtin", "extended"], models.Select(m => m.Name));
        var builtin = models[0];
        Assert.Equal(ModelSource.Repository, builtin.Source);
        Assert.Equal(64, builtin.Config!.MaxPositionEmbeddings);
        using (var model = LlamaModel.Initialize(LlamaConfig.Tiny(), seed: 1)) Assert.Equal(model.Parameters.ElementCount, builtin.Parameters);
        Assert.Equal(new FileInfo(Path.Combine(builtin.Directory, PretrainedModel.WeightsFile)).Length, builtin.WeightBytes);
        Assert.True(builtin.Usable);
        Assert.Equal(ModelSource.DataDirectory, models[1].Source);
        Assert.False(models[1].Usable);
    }

    // The count used to walk every layer's shapes: 2147483647 layers kept the page waiting for minutes.
    [Fact]
    public void A_config_with_billions_of_layers_is_listed_with_its_count_at_once()
    {
        var directory = WriteModel(Path.Combine(root, "models", "deep"));
        var config = Path.Combine(directory, PretrainedModel.ConfigFile);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"num_hidden_layers\": 2", $"\"num_hidden_layers\": {int.MaxValue}"));

        var entry = Catalog().List().Single();

        // The tiny model: 16416 values outside the layers (embedding, lm_head, final norm), 9280 in each layer.
        Assert.Equal(16_416 + int.MaxValue * 9_280L, entry.Parameters);
    }

    // Sizes whose products pass long's range used to throw OverflowException out of the listing, which the page did not catch.
    [Fact]
    public void A_config_whose_sizes_multiply_past_longs_range_is_listed()
    {
        var directory = Directory.CreateDirectory(Path.Combine(root, "models", "huge")).FullName;
        File.WriteAllText(Path.Combine(directory, PretrainedModel.ConfigFile), $$"""
            {"model_type": "llama", "vocab_size": 2, "hidden_size": {{int.MaxValue}}, "intermediate_size": {{int.MaxValue}},
             "num_hidden_layers": 1, "num_attention_heads": 1, "head_dim": 2, "max_position_embeddings": 64}
            """);

        var entry = Catalog().List().Single();

        Assert.NotNull(entry.Config);
        Assert.Equal(long.MaxValue, entry.Parameters);
    }

    [Fact]
    public void A_broken_config_is_listed_with_its_problem()
    {
        var directory = Directory.CreateDirectory(Path.Combine(root, "models", "broken")).FullName;
        File.WriteAllText(Path.Combine(directory, PretrainedModel.ConfigFile), "{ not json");

        var entry = Catalog().List().Single();

        Assert.Null(entry.Config);
        Assert.StartsWith(Path.Combine(directory, PretrainedModel.ConfigFile) + ": not valid JSON", entry.Problem);
    }

    [Fact]
    public void An_import_is_remembered_in_the_data_directory()
    {
        var elsewhere = WriteModel(Path.Combine(root, "elsewhere", "mine"));

        var imported = Catalog().Import(elsewhere);

        Assert.Equal(ModelSource.Imported, imported.Source);
        Assert.Equal([elsewhere], Catalog().List().Select(m => m.Directory));
        Assert.True(File.Exists(Path.Combine(root, "data", ModelCatalog.ImportsFileName)));
    }

    [Fact]
    public void Imports_that_cannot_load_are_refused_with_the_path_and_the_reason()
    {
        var noTokenizer = WriteModel(Path.Combine(root, "elsewhere", "bare"), tokenizer: false);
        var noConfig = Directory.CreateDirectory(Path.Combine(root, "elsewhere", "weights-only")).FullName;
        var listed = WriteModel(Path.Combine(root, "models", "builtin"));
        var catalog = Catalog();

        Assert.Equal("Give the path of a model directory.", Assert.Throws<ModelImportException>(() => catalog.Import(" ")).Message);
        Assert.Equal($"{Path.Combine(root, "elsewhere", "nowhere")}: no such directory.",
            Assert.Throws<ModelImportException>(() => catalog.Import(Path.Combine(root, "elsewhere", "nowhere"))).Message);
        Assert.StartsWith($"{noConfig}: no config.json", Assert.Throws<ModelImportException>(() => catalog.Import(noConfig)).Message);
        Assert.Equal($"{noTokenizer}: no tokenizer.json.", Assert.Throws<ModelImportException>(() => catalog.Import(noTokenizer)).Message);
        Assert.Equal($"{listed} is already listed.", Assert.Throws<ModelImportException>(() => catalog.Import(listed)).Message);
        Assert.False(File.Exists(Path.Combine(root, "data", ModelCatalog.ImportsFileName)));
    }

    [Fact]
    public void A_completed_runs_final_model_is_listed_under_its_run_and_a_directory_is_listed_once_however_it_is_spelled()
    {
        var done = store.CreateRun(RunPresets.Pose() with { Name = "pose-run" }, Path.Combine(root, "runs", "done"), DateTimeOffset.UtcNow);
        var failed = store.CreateRun(RunPresets.Pose(), Path.Combine(root, "runs", "failed"), DateTimeOffset.UtcNow);
        WriteModel(Path.Combine(root, "runs", "done", RecipeRunner.ModelFolder));
        WriteModel(Path.Combine(root, "runs", "failed", RecipeRunner.ModelFolder));
        store.Append(done, new StatusEvent(DateTimeOffset.UtcNow, "eval", RunStatus.Completed));
        store.Append(failed, new StatusEvent(DateTimeOffset.UtcNow, "extend", RunStatus.Failed, "boom"));
        var catalog = Catalog();

        var listed = Assert.Single(catalog.List());

        Assert.Equal(($"pose-run · run #{done}", ModelSource.Run), (listed.Name, listed.Source));
        Assert.Equal(Path.Combine(root, "runs", "done", RecipeRunner.ModelFolder), listed.Directory);
        // Importing it, with or without a trailing slash, adds no second row.
        Assert.Equal($"{listed.Directory} is already listed.", Assert.Throws<ModelImportException>(() => catalog.Import(listed.Directory + "/")).Message);
        var elsewhere = WriteModel(Path.Combine(root, "elsewhere", "mine"));
        catalog.Import(elsewhere + "/");
        Assert.Throws<ModelImportException>(() => catalog.Import(elsewhere));
        Assert.Equal([listed.Directory, elsewhere], catalog.List().Select(m => m.Directory));
    }

    [Fact]
    public void Imports_from_outside_the_import_folders_are_refused_whether_or_not_they_exist()
    {
        var outside = WriteModel(Path.Combine(root, "outside", "model"));
        Directory.CreateSymbolicLink(Directory.CreateDirectory(Path.Combine(root, "elsewhere")).FullName + "/link", outside);
        // A link in a parent folder leads elsewhere as much as one at the end.
        Directory.CreateSymbolicLink(Path.Combine(root, "elsewhere", "up"), Path.Combine(root, "outside"));
        var catalog = Catalog();
        var folders = $"{Path.Combine(root, "data")}, {Path.Combine(root, "models")}, {Path.Combine(root, "elsewhere")}";

        foreach (var path in new[] { outside, "/etc", Path.Combine(root, "elsewhere", "..", "outside", "model"), Path.Combine(root, "elsewhere", "link"), Path.Combine(root, "elsewhere", "up", "model") })
        {
            var error = Assert.Throws<ModelImportException>(() => catalog.Import(path));
            Assert.Equal($"{Path.GetFullPath(path)} is outside the folders models are imported from ({folders}); " +
                         "add its folder to Lab:Security:ModelImportFolders in appsettings.json.", error.Message);
        }
        Assert.False(File.Exists(Path.Combine(root, "data", ModelCatalog.ImportsFileName)));
        // By default: the data directory and the repository's models/.
        var plain = new ModelCatalog(Options.Create(new LabOptions { DataDirectory = "data" }), new Environment { ContentRootPath = root }, store);
        Assert.Equal([Path.Combine(root, "data"), Path.Combine(root, "models")], plain.ImportFolders);
    }

    private sealed class Environment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";
        public string ApplicationName { get; set; } = "LongRecipe.Lab";
        public string ContentRootPath { get; set; } = "";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
