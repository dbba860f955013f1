import pytest

from activellm.training.active_learning import STRATEGIES, ActiveLearningError, cold_start, make_strategy
from activellm.training.experiment import ConfigError, NotApplicable, RunConfig


def test_every_strategy_of_the_issue_is_known():
    assert set(STRATEGIES) == {"LeastConfidence", "PredictionEntropy", "BreakingTies", "BALD", "GreedyCoreset",
                               "EmbeddingKMeans", "ContrastiveActiveLearning", "RandomSampling"}
    assert type(make_strategy("BALD")).__name__ == "BALD"


def test_unknown_strategy_lists_the_valid_ones_instead_of_falling_back():
    with pytest.raises(ActiveLearningError) as error:
        make_strategy("LeastConfident")
    assert "LeastConfident" in str(error.value) and "PredictionEntropy" in str(error.value)
    with pytest.raises(ConfigError, match="small-text strategy: LeastConfidence"):
        RunConfig(task="t", mode="10", run=1, modelclass="smalltext", activelearning="Entropy").validate()
    with pytest.raises(ConfigError, match="Valid: random_filtering"):
        RunConfig(task="t", mode="10", run=1, activelearning="Entropy").validate()


def test_option_combinations_that_cannot_work_are_errors():
    with pytest.raises(ConfigError, match="--modelclass smalltext"):
        RunConfig(task="t", mode="10", run=1, warmstart=True).validate()
    with pytest.raises(ConfigError, match="smalltext_coldstart"):
        RunConfig(task="t", mode="10", run=1, activelearning="BALD").validate()
    RunConfig(task="t", mode="smalltext_coldstart", run=1, activelearning="BALD").validate()


def test_cold_starts():
    labels = [0] * 30 + [1] * 10
    assert cold_start(labels, 5, "first", seed=1) == [0, 1, 2, 3, 4]
    balanced = cold_start(labels, 6, "balanced", seed=1)
    assert len(set(balanced)) == 6 and sum(labels[i] for i in balanced) == 3
    assert balanced == cold_start(labels, 6, "balanced", seed=1)
    with pytest.raises(ActiveLearningError, match="--init"):
        cold_start(labels, 6, "random", seed=1)


def test_paper_models_per_model_class():
    assert RunConfig(task="t", mode="m", run=1).model_name == "bert-base-uncased"
    assert RunConfig(task="t", mode="m", run=1, modelclass="setfit").model_name == \
        "sentence-transformers/paraphrase-mpnet-base-v2"
    assert RunConfig(task="t", mode="m", run=1, modelclass="setfit", model="minilm").model_name == "minilm"


def test_a_cold_start_with_a_list_mode_is_refused_as_a_duplicate():
    with pytest.raises(ConfigError, match="would only repeat the cold start of --mode baseline"):
        RunConfig(task="t", mode="gpt-4o_10", run=1, modelclass="smalltext", activelearning="BALD").validate()
    RunConfig(task="t", mode="baseline", run=1, modelclass="smalltext", activelearning="BALD").validate()
    RunConfig(task="t", mode="gpt-4o_10", run=1, modelclass="smalltext", activelearning="BALD",
              warmstart=True).validate()


@pytest.mark.parametrize("selector", ["random_filtering", "embedding_kmeans", "vote_k"])
@pytest.mark.parametrize("modelclass", ["default", "setfit"])
def test_a_selector_never_runs_under_an_llms_mode(selector, modelclass):
    """``gpt-4o_10 / vote_k`` would ignore the LLM's list and re-run the selector under the LLM's name."""
    with pytest.raises(NotApplicable, match="would ignore the list of --mode gpt-4o_10"):
        RunConfig(task="rotten_tomatoes", mode="gpt-4o_10", run=1, modelclass=modelclass,
                  activelearning=selector).validate()
    RunConfig(task="rotten_tomatoes", mode="baseline", run=1, modelclass=modelclass, activelearning=selector).validate()


def test_combinations_that_would_fail_later_are_refused_at_once():
    with pytest.raises(NotApplicable, match="A warm start begins with the picks"):
        RunConfig(task="rotten_tomatoes", mode="baseline", run=1, modelclass="smalltext", activelearning="BALD",
                  warmstart=True).validate()
    with pytest.raises(NotApplicable, match="regression task"):
        RunConfig(task="stsb", mode="baseline", run=1, modelclass="smalltext", activelearning="BALD").validate()
    with pytest.raises(NotApplicable, match="regression task"):
        RunConfig(task="stsb", mode="smalltext_coldstart", run=1, activelearning="BALD").validate()
    with pytest.raises(NotApplicable, match="--mode baseline --activelearning vote_k"):
        RunConfig(task="rotten_tomatoes", mode="vote_k", run=1).validate()
    with pytest.raises(ConfigError, match="--warmstart-from"):
        RunConfig(task="rotten_tomatoes", mode="smalltext_warmstart", run=1, activelearning="BALD").validate()
    RunConfig(task="rotten_tomatoes", mode="smalltext_warmstart", run=1, activelearning="BALD",
              warmstart_from="gpt-4o_10").validate()


@pytest.mark.parametrize("argv", [
    # M: k = 25 for the run on the list, while the small-text run would default to k*i = 75
    ["--task", "rotten_tomatoes_25_cont_index_recap_3", "--mode", "smalltext_warmstart", "--warmstart-from", "10"],
    ["--task", "rotten_tomatoes", "--mode", "smalltext_warmstart", "--warmstart-from", "probcover",
     "--probcover-delta", "0.3", "--selector-pool", "500", "--query-size", "8", "--budget", "64", "--pool-size", "900"],
    ["--task", "rotten_tomatoes", "--mode", "smalltext_coldstart", "--init", "balanced", "--al-epochs", "3",
     "--precision", "bf16", "--model", "minilm"],
])
def test_the_missing_labelled_lists_command_makes_exactly_that_list(argv, project_root):
    """The error's command, run as it stands, writes the list the run looks for (the same configuration hash)."""
    import shlex

    from activellm.prompts.answers import AnswerError
    from activellm.training.experiment import labelled_list_path, labelled_list_rows
    from model_training import build_parser, config_from_args

    config = config_from_args(build_parser().parse_args([*argv, "--activelearning", "PredictionEntropy"]))
    with pytest.raises(AnswerError) as error:
        labelled_list_rows(config, None)
    (command,) = [line.strip() for line in str(error.value).splitlines() if "python model_training.py" in line]
    producer = config_from_args(build_parser().parse_args(shlex.split(command)[2:]))
    assert producer.modelclass == "smalltext" and labelled_list_path(producer) == labelled_list_path(config)
